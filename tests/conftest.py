import numpy as np
import pytest
from scipy import ndimage

from tinyt2v.world import get_world


@pytest.fixture(scope="session")
def world():
    return get_world("default")


def degrade(video: np.ndarray, sigma: float = 0.1, seed: int = 0) -> np.ndarray:
    """A 3x3 blur then additive Gaussian noise, as generated videos are imperfect."""
    rng = np.random.default_rng(seed)
    x = ndimage.uniform_filter(video.astype(np.float32) / 255, size=(1, 3, 3, 1))
    x = x + rng.normal(0, sigma, x.shape)
    return (np.clip(x, 0, 1) * 255).round().astype(np.uint8)
