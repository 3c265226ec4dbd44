import torch

from sr.dip import PRESETS
from sr.models.skip import SkipNet


def test_published_network_shape():
    net = SkipNet()  # 5 scales, 128 channels, 4 skip channels, 32 noise channels
    assert 2.1e6 < sum(p.numel() for p in net.parameters()) < 2.3e6
    assert net(torch.rand(1, 32, 64, 64)).shape == (1, 4, 64, 64)
    assert PRESETS["published"].channels == 128 and PRESETS["published"].upsample == 1


def test_a_network_at_half_size_upsamples_its_output():
    net = SkipNet(channels=16, upsample=2)  # works at 64 px, answers at 128
    assert net(torch.rand(1, 32, 64, 64)).shape == (1, 4, 128, 128)
