import pytest
import torch

from sr.device import pick_device
from sr.errors import EnhanceError


def test_device_choice():
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device(None).type == expected
    if not torch.cuda.is_available():
        with pytest.raises(EnhanceError, match="CUDA is not available"):
            pick_device("cuda")


def test_a_device_that_is_not_one_is_refused_with_a_message():
    for name in ("bogus", "meta"):
        with pytest.raises(EnhanceError, match="use cpu, cuda or cuda:N"):
            pick_device(name)
