"""How pixels get sharper: Deep Image Prior, Decrappify, pipelines, tiles, cache, training."""
