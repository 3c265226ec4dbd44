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


def test_a_residual_network_starts_with_no_correction_and_can_leave_zero_to_one():
    net = SkipNet(channels=8, scales=2, upsample=2, residual=True)
    x = torch.rand(1, 32, 16, 16)
    assert torch.equal(net(x), torch.zeros(1, 4, 32, 32))
    with torch.no_grad():
        net.out[0].bias.fill_(-2.0)  # no sigmoid: a correction may be negative
    assert (net(x) == -2.0).all()


def test_the_half_size_head_equals_upsampling_the_features_first():
    # the 1 x 1 convolution runs before the bilinear x2 (cheaper): the output must not change
    net = SkipNet(channels=16, scales=3, upsample=2)
    x = torch.rand(1, 32, 32, 32)
    conv, upsample, sigmoid = net.out
    with torch.no_grad():
        features_first = sigmoid(conv(upsample(net.body(x))))
        assert torch.allclose(net(x), features_first, atol=1e-6)
