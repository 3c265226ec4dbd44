import torch

from sr.dip import PRESETS
from sr.models.skip import SkipNet


def test_published_network_shape():
    net = SkipNet()  # 5 scales, 128 channels, 4 skip channels, 32 noise channels
    assert 2.1e6 < sum(p.numel() for p in net.parameters()) < 2.3e6
    assert net(torch.rand(1, 32, 64, 64)).shape == (1, 4, 64, 64)
    assert PRESETS["quality"].iterations == 2000 and PRESETS["quality"].lr == 0.01
    assert PRESETS["quality"].reg_noise == 0.03 and PRESETS["quality"].channels == 128
