"""Architectures the reference pipeline can train, all returning (features, logits) like MobileNetV1.

- `mnv1` / `mnv1-os16`: MobileNet v1 (mobilenet.py), final feature map S/32 or S/16; the only ones with
  an ImageNet initialization available offline (../shared/models/mobilenet-v1-imagenet-tfjs).
- `resnet18`, `resnet50`, `densenet121`: torchvision's networks (random initialization only: no
  pretrained weights can be downloaded here), with the same GAP -> dropout -> Linear head. They are in
  the architecture comparison because the engine supports them; a two-core CPU cannot train them in an
  hour, so they cannot be the shipped model.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mobilenet import MobileNetV1

ARCHS = ["mnv1", "mnv1-os16", "resnet18", "resnet50", "densenet121"]
# Architectures whose training fits the budget (two CPU cores, under an hour).
CPU_HOUR_CLASS = {"mnv1", "mnv1-os16"}


class TorchvisionCxr(nn.Module):
    def __init__(self, arch, n_classes, dropout):
        super().__init__()
        import torchvision
        net = getattr(torchvision.models, arch)(weights=None)
        if arch.startswith("densenet"):
            self.body = nn.Sequential(net.features, nn.ReLU(inplace=False))
            width = net.classifier.in_features
        else:
            self.body = nn.Sequential(*list(net.children())[:-2])  # up to layer4
            width = net.fc.in_features
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, n_classes)
        nn.init.normal_(self.classifier.weight, 0, 0.01)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        f = self.body(x)
        return f, self.classifier(self.dropout(F.adaptive_avg_pool2d(f, 1).flatten(1)))


def build_model(arch, n_classes, dropout, bn_momentum):
    if arch == "mnv1":
        return MobileNetV1(n_classes, dropout=dropout, bn_momentum=bn_momentum)
    if arch == "mnv1-os16":
        return MobileNetV1(n_classes, dropout=dropout, bn_momentum=bn_momentum, output_stride=16)
    if arch in ARCHS:
        return TorchvisionCxr(arch, n_classes, dropout)
    raise ValueError(f"unknown architecture {arch!r}; one of {ARCHS}")


def focal_bce(logits, y, pos_weight, gamma=2.0):
    """Focal loss (Lin et al. 2017) on top of the class-weighted BCE: (1 - p_t)^gamma down-weights the
    easy examples that dominate a rare finding's batch."""
    bce = F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight, reduction="none")
    p = torch.sigmoid(logits)
    pt = torch.where(y > 0.5, p, 1 - p)
    return ((1 - pt).pow(gamma) * bce).mean()
