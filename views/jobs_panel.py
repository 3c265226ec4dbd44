"""The job panel in every page's sidebar, and a session's own job (not a page itself).

The panel lists the enhancement jobs of this server (running and queued ones, and those ended in
the last :data:`RECENT` seconds): what and for whom, progress, the Deep Image Prior preview,
elapsed and remaining time, and Cancel. It redraws itself every second while a job is active
(a fragment: the page around it, the map included, is not run again) and runs the whole page
once when this session's job ends, so the enhanced layer appears on the page in view.
What other sessions supplied (who asked, the area's label, messages and errors) is shown as text.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from runs.jobs import Job
from runs.service import manager
from sr.enhance import uses_dip
from views.markdown import plain
from views.workspace import set_enhanced
from webmap.render import to_rgba

RECENT = 900  # seconds an ended job stays listed
SHOWN = 6  # jobs listed at most
STATES = {
    "queued": "⏳ queued",
    "running": "⚙️ running",
    "done": "✅ done",
    "failed": "❌ failed",
    "cancelled": "✖️ cancelled",
    "interrupted": "⚠️ interrupted",
}


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def follow(state: Any, job: Job) -> None:
    """This session waits for ``job``: its result becomes the session's enhancement."""
    state["job"] = job.key


def collect(state: Any) -> None:
    """Take this session's job's result when it has ended well, or say why it has not."""
    key = state.get("job")
    job = manager().get(key) if key else None
    if job is None:
        state.pop("job", None)
        return
    if job.active:
        return
    state.pop("job")
    if job.state == "done" and job.result is not None:
        set_enhanced(state, job)
    elif job.state == "done":  # its result left memory: the stages are in the cache
        st.info("The enhancement is done; press Enhance x4 to take it from the cache.")
    elif job.state == "failed":
        st.error(f"The enhancement failed: {plain(job.error)}")
    else:
        why = f": {plain(job.message)}" if job.message and job.message != job.state else ""
        st.warning(f"The enhancement was {plain(job.state)}{why}.")


def panel() -> None:
    """Draw the panel in the sidebar (nothing when no job is listed)."""
    listed = shown()
    if not listed:
        return

    @st.fragment(run_every=1.0 if any(j.active for j in listed) else None)
    def jobs() -> None:
        mine = st.session_state.get("job")
        own = manager().get(mine) if mine else None
        if mine and (own is None or not own.active):
            st.rerun()  # this session's job has ended: the whole page takes its result
        st.markdown("**Enhancement jobs**")
        for job in shown(own):
            show(job, job.key == mine)

    with st.sidebar:
        jobs()


def shown(own: Job | None = None) -> list[Job]:
    """The jobs listed: active ones and those ended in the last :data:`RECENT` seconds, at most
    :data:`SHOWN` and the session's ``own`` job always."""
    now = time.time()
    jobs = [j for j in manager().jobs() if j.active or now - (j.finished or 0) < RECENT][:SHOWN]
    return jobs + [own] if own is not None and own not in jobs else jobs


def show(job: Job, mine: bool) -> None:
    """One job in the panel (``mine``: this session's). Its fields come from other sessions and
    from job files: Markdown-escaped, or in ``st.text``."""
    with st.container(border=True):
        made = job.pipeline + (f" ({job.preset})" if uses_dip(job.pipeline) else "")
        who = (f" · by {plain(job.by)}" if job.by else "") + (" · yours" if mine else "")
        st.caption(f"{STATES.get(job.state) or plain(job.state)} · {plain(made)}{who}")
        st.text(job.label or job.key[:12])
        if job.active:
            st.progress(job.fraction, text=plain(job.message))
            times = [f"{duration(job.elapsed())} so far"]
            remaining = job.remaining()
            if remaining is not None:
                times.append(f"about {duration(remaining)} to go")
            st.caption(", ".join(times) + f" · on {plain(job.device)}")
            if job.preview is not None:
                st.image(to_rgba(job.preview), caption="The image forming", width=200)
            if st.button("Cancel", key=f"cancel-{job.key}", help="Stops it for everyone waiting"):
                manager().cancel(job.key)
                st.rerun()
        elif job.error:
            st.caption(plain(job.error))
        else:
            st.caption(f"{plain(job.message)}; took {duration(job.elapsed())}")
