"""How the models are made and judged: training data and the training loop of Decrappify, DIP
pairs for it, the reduced-resolution evaluation and its metrics (``python -m sr.training``).
The app never imports it."""
