import pytest
import torch

from sr.models.unet import DecrappifyUNet
from sr.training.feature_loss import FeatureLoss, gram


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
