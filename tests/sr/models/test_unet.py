import torch

from sr.models.unet import DecrappifyUNet


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


def test_decoder_adds_no_pattern_fixed_to_the_pixel_grid():
    """The grid texture's cause: pixel shuffle turned a constant input into a periodic output.
    Resize-convolution keeps a constant constant, whatever the (here random) weights."""
    torch.manual_seed(0)
    model = DecrappifyUNet(pretrained=False).eval()
    torch.nn.init.normal_(model.head.weight, std=0.1)
    with torch.no_grad():
        out = model(torch.full((1, 4, 256, 256), 0.1))
    interior = out[0, :, 64:-64, 64:-64]  # away from the borders' padding
    assert float(interior.amax() - interior.amin()) > 1e-3  # the random head does something
    assert float(interior.flatten(1).std(dim=1).max()) < 1e-5 * float(interior.abs().mean())
