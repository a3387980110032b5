"""Rectified flow: the loss, weighted per number when asked, and the sampler: seeded, guided, and with
a temperature on its starting noise."""
import torch

from tinyt2v.diffusion.flow import flow_loss, sample, sample_latents


def net():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(8 + 1 + 3, 32), torch.nn.Tanh(), torch.nn.Linear(32, 8))
    return lambda x, t, c: mlp(torch.cat([x, t[:, None], c], 1))


def draw(seed, temperature):
    cond = torch.ones(4, 3)
    return sample_latents(net(), cond, torch.zeros(3), 8, torch.Generator().manual_seed(seed),
                          steps=6, guidance=2.0, temperature=temperature)


def test_temperature_scales_the_starting_noise():
    noise = torch.randn(4, 8, generator=torch.Generator().manual_seed(5))
    want = sample(net(), 0.5 * noise, torch.ones(4, 3), torch.zeros(1, 3), steps=6, guidance=2.0)
    assert torch.allclose(draw(5, 0.5), want, atol=1e-6)


def test_temperature_zero_gives_one_sample_whatever_the_seed():
    assert torch.allclose(draw(1, 0.0), draw(2, 0.0))
    assert not torch.allclose(draw(1, 1.0), draw(2, 1.0))
    assert torch.equal(draw(1, 1.0), draw(1, 1.0))  # a seed is a clip


def test_a_condition_of_several_tensors_is_guided_like_one():
    """A cross-attending model's condition is (words, mask, pooled): each part is paired with
    its null and the samples match those of the same condition given as one tensor."""
    f = net()
    cond, null = torch.ones(4, 3), torch.zeros(3)
    as_tuple = sample_latents(lambda x, t, c: f(x, t, c[0] + c[1]), (cond, 0 * cond),
                              (null[None], null[None]), 8, torch.Generator().manual_seed(3),
                              steps=6, guidance=2.0)
    assert torch.allclose(as_tuple, draw(3, 1.0), atol=1e-6)


def test_samples_can_be_grids():
    """A grid per sample is drawn from the same noise, and integrated the same way, as the
    flat vector of its numbers."""
    pull = lambda x, t, c: c.view(-1, *[1] * (x.dim() - 1)) - x  # noqa: E731
    grid = sample_latents(pull, torch.arange(2.0), torch.zeros(()), (4, 2, 5, 5),
                          torch.Generator().manual_seed(0), steps=4, guidance=1.0)
    flat = sample_latents(pull, torch.arange(2.0), torch.zeros(()), 4 * 2 * 5 * 5,
                          torch.Generator().manual_seed(0), steps=4, guidance=1.0)
    assert grid.shape == (2, 4, 2, 5, 5) and torch.allclose(grid.flatten(1), flat)


def test_a_weighted_flow_loss_weighs_each_numbers_error():
    data, noise, t = torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.tensor([0.3, 0.7])
    net = lambda x, t, cond: torch.zeros_like(x)  # noqa: E731  error = (data - noise) ** 2
    plain = flow_loss(net, data, None, noise, t)
    assert plain == ((data - noise) ** 2).mean()
    assert flow_loss(net, data, None, noise, t, weight=torch.ones(2, 1, 4)) == plain
    weight = torch.zeros(2, 3, 4)
    weight[:, 0] = 3.0  # only the first row counts, three times over
    assert torch.allclose(flow_loss(net, data, None, noise, t, weight=weight),
                          3 * ((data - noise)[:, 0] ** 2).sum() / data.numel())
