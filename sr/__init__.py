"""How pixels get sharper (inference only): Deep Image Prior, Decrappify, pipelines, tiles,
cache, consistency. Training is :mod:`sr.training`; where work runs is :mod:`runs`."""
