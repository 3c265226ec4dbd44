import pytest
import torch

from sr.models.feature_loss import FeatureLoss, gram
from sr.models.unet import DecrappifyUNet, icnr_


def test_untrained_unet_returns_its_input_and_has_four_band_stem():
    model = DecrappifyUNet(pretrained=False).eval()
    x = torch.rand(2, 4, 64, 48) * 0.3
    with torch.no_grad():
        assert torch.equal(model(x), x)
    assert model.encoder.stem[0].weight.shape[1] == 4


def test_pretrained_encoder_keeps_rgb_filters_and_derives_nir():
    from sr.models.encoders import lite0

    rgb = lite0(pretrained=True)._conv_stem.weight
    model = DecrappifyUNet(pretrained=True)
    w = model.encoder.stem[0].weight
    assert torch.allclose(w[:, :3], rgb * 0.75)
    assert torch.allclose(w[:, 3], rgb.mean(dim=1) * 0.75)


def test_resnet34_encoder_builds_without_weights():
    model = DecrappifyUNet("resnet34", pretrained=False)
    assert model(torch.rand(1, 4, 32, 32)).shape == (1, 4, 32, 32)


def test_icnr_starts_pixel_shuffle_as_nearest_upsampling():
    conv = torch.nn.Conv2d(3, 8 * 4, 1)
    icnr_(conv.weight)
    torch.nn.init.zeros_(conv.bias)
    y = torch.nn.PixelShuffle(2)(conv(torch.rand(1, 3, 5, 5)))
    assert torch.allclose(y[..., 0::2, 0::2], y[..., 1::2, 1::2])


def test_one_training_step_lowers_the_feature_loss():
    torch.manual_seed(0)
    model, loss_fn = DecrappifyUNet(pretrained=False), FeatureLoss()
    target = torch.rand(2, 4, 32, 32) * 0.3
    blurred = torch.nn.functional.avg_pool2d(target, 3, 1, 1)
    assert float(loss_fn(target, target)) == pytest.approx(0.0, abs=1e-6)
    before = float(loss_fn(model(blurred), target))
    assert before > 0 and set(loss_fn.parts) == {"pixel", "feature", "gram"}
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(5):
        loss = loss_fn(model(blurred), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss_fn(model(blurred), target)) < before


def test_gram_is_channel_by_channel():
    assert gram(torch.rand(2, 5, 4, 3)).shape == (2, 5, 5)
