"""Published results as data: the ResNet paper's tables and the facts about related architectures.

Every number here is QUOTED from a paper (the ``source`` field is its key in ``references.bib``);
none was measured by this book. Chapters plot and tabulate these records next to numbers they
compute themselves, and label the two kinds apart. The values were typed from the papers and are
checked by ``tests/test_paper_results.py``.

Conventions: errors are percentages (``25.03`` means 25.03 %); ``None`` means "not reported".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers.core.text import T

RESNET_PAPER = "he2016deep"
PREACT_PAPER = "he2016identity"


# --------------------------------------------------------------------------------------------
# ResNet on ImageNet (He et al. 2016, Sec. 4.1)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImageNetResult:
    """One row of a results table on the ImageNet (ILSVRC 2012) validation set."""

    model: str  # name as printed in the paper, e.g. "ResNet-34 B"
    depth: int  # number of weighted layers
    residual: bool  # False for the plain baselines
    top1: float  # top-1 error, %
    top5: float | None  # top-5 error, % (None: not in that table)
    table: str  # "Table 2", "Table 3" or "Table 4"
    evaluation: str  # "10-crop" or "single-model (multi-scale, fully convolutional)"
    shortcut: str | None = None  # "A" | "B" | "C" for ResNets, None for plain nets
    source: str = RESNET_PAPER

    @property
    def name(self) -> str:
        """Our model-registry name for this architecture, e.g. ``"resnet34"`` or ``"plain18"``."""
        return f"{'resnet' if self.residual else 'plain'}{self.depth}"


_TEN_CROP = "10-crop"
_SINGLE = "single-model (multi-scale, fully convolutional)"

#: Table 2: top-1 error (10-crop testing) of plain and residual 18/34-layer nets. The ResNets use
#: option A shortcuts, so they have exactly as many parameters as their plain counterparts.
IMAGENET_TABLE2: tuple[ImageNetResult, ...] = (
    ImageNetResult("plain-18", 18, False, 27.94, None, "Table 2", _TEN_CROP),
    ImageNetResult("plain-34", 34, False, 28.54, None, "Table 2", _TEN_CROP),
    ImageNetResult(
        "ResNet-18", 18, True, 27.88, None, "Table 2", _TEN_CROP, shortcut="A"
    ),
    ImageNetResult(
        "ResNet-34", 34, True, 25.03, None, "Table 2", _TEN_CROP, shortcut="A"
    ),
)

#: Table 3: 10-crop top-1/top-5 error; shortcut options A/B/C for ResNet-34, bottleneck
#: ResNets (option B) at 50/101/152 layers.
IMAGENET_TABLE3: tuple[ImageNetResult, ...] = (
    ImageNetResult("plain-34", 34, False, 28.54, 10.02, "Table 3", _TEN_CROP),
    ImageNetResult(
        "ResNet-34 A", 34, True, 25.03, 7.76, "Table 3", _TEN_CROP, shortcut="A"
    ),
    ImageNetResult(
        "ResNet-34 B", 34, True, 24.52, 7.46, "Table 3", _TEN_CROP, shortcut="B"
    ),
    ImageNetResult(
        "ResNet-34 C", 34, True, 24.19, 7.40, "Table 3", _TEN_CROP, shortcut="C"
    ),
    ImageNetResult(
        "ResNet-50", 50, True, 22.85, 6.71, "Table 3", _TEN_CROP, shortcut="B"
    ),
    ImageNetResult(
        "ResNet-101", 101, True, 21.75, 6.05, "Table 3", _TEN_CROP, shortcut="B"
    ),
    ImageNetResult(
        "ResNet-152", 152, True, 21.43, 5.71, "Table 3", _TEN_CROP, shortcut="B"
    ),
)

#: Table 4: best single-model results (multi-scale fully convolutional testing).
IMAGENET_TABLE4: tuple[ImageNetResult, ...] = (
    ImageNetResult(
        "ResNet-34 B", 34, True, 21.84, 5.71, "Table 4", _SINGLE, shortcut="B"
    ),
    ImageNetResult(
        "ResNet-34 C", 34, True, 21.53, 5.60, "Table 4", _SINGLE, shortcut="C"
    ),
    ImageNetResult(
        "ResNet-50", 50, True, 20.74, 5.25, "Table 4", _SINGLE, shortcut="B"
    ),
    ImageNetResult(
        "ResNet-101", 101, True, 19.87, 4.60, "Table 4", _SINGLE, shortcut="B"
    ),
    ImageNetResult(
        "ResNet-152", 152, True, 19.38, 4.49, "Table 4", _SINGLE, shortcut="B"
    ),
)

#: Table 1, last row: forward cost in multiply-adds (x 10^9), as printed in the paper. The paper
#: calls them "FLOPs"; they count one multiply-add as one operation.
IMAGENET_PAPER_GMACS: dict[str, float] = {
    "resnet18": 1.8,
    "resnet34": 3.6,
    "resnet50": 3.8,
    "resnet101": 7.6,
    "resnet152": 11.3,
}

#: Table 1: residual blocks per stage (conv2_x .. conv5_x) and the block type.
IMAGENET_ARCHITECTURES: dict[str, dict[str, object]] = {
    "resnet18": {"blocks": (2, 2, 2, 2), "block": "basic"},
    "resnet34": {"blocks": (3, 4, 6, 3), "block": "basic"},
    "resnet50": {"blocks": (3, 4, 6, 3), "block": "bottleneck"},
    "resnet101": {"blocks": (3, 4, 23, 3), "block": "bottleneck"},
    "resnet152": {"blocks": (3, 8, 36, 3), "block": "bottleneck"},
}

#: The ILSVRC 2015 entry: an ensemble of ResNets of different depths (Sec. 4.1, Table 5).
ILSVRC2015_ENSEMBLE_TOP5_TEST = 3.57

#: Shortcut options of Sec. 3.3 / 4.1, in the paper's lettering.
SHORTCUT_OPTIONS: dict[str, str] = {
    "A": T(
        "identity everywhere; zero-padding for the extra channels where dimensions grow "
        "(parameter-free)"
    ),
    "B": T(
        "identity where shapes agree; 1x1 projection (W_s) only where dimensions grow"
    ),
    "C": T("1x1 projection on every shortcut"),
}


# --------------------------------------------------------------------------------------------
# CIFAR-10 (He et al. 2016, Sec. 4.2, Table 6) and pre-activation ResNets (He et al. 2016b)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CifarResult:
    """One CIFAR test-error result (single model unless ``note`` says otherwise)."""

    model: str
    depth: int
    error: float  # test error, %
    params_m: float | None = None  # parameters in millions, as printed in the paper
    dataset: str = "CIFAR-10"
    note: str = ""
    source: str = RESNET_PAPER


#: Table 6 (ResNets with option A shortcuts, depth 6n+2).
CIFAR10_TABLE6: tuple[CifarResult, ...] = (
    CifarResult("ResNet-20", 20, 8.75, 0.27),
    CifarResult("ResNet-32", 32, 7.51, 0.46),
    CifarResult("ResNet-44", 44, 7.17, 0.66),
    CifarResult("ResNet-56", 56, 6.97, 0.85),
    CifarResult("ResNet-110", 110, 6.43, 1.7, note="best of 5 runs; mean 6.61 ± 0.16"),
    CifarResult(
        "ResNet-1202", 1202, 7.93, 19.4, note="overfits: training error < 0.1 %"
    ),
)

#: ResNet-110 on CIFAR-10: mean and standard deviation over 5 runs (Table 6).
CIFAR10_RESNET110_MEAN_STD = (6.61, 0.16)

#: Pre-activation units (BN -> ReLU -> conv, twice, then add), He et al. ECCV 2016.
PREACT_RESULTS: tuple[CifarResult, ...] = (
    CifarResult("pre-act ResNet-110", 110, 6.37, source=PREACT_PAPER),
    CifarResult(
        "pre-act ResNet-164", 164, 5.46, note=T("bottleneck"), source=PREACT_PAPER
    ),
    CifarResult(
        "pre-act ResNet-1001",
        1001,
        4.92,
        note=T("bottleneck, batch 128"),
        source=PREACT_PAPER,
    ),
    CifarResult(
        "pre-act ResNet-1001",
        1001,
        4.62,
        note=T("bottleneck, batch 64"),
        source=PREACT_PAPER,
    ),
    CifarResult(
        "pre-act ResNet-164",
        164,
        24.33,
        dataset="CIFAR-100",
        note=T("bottleneck"),
        source=PREACT_PAPER,
    ),
    CifarResult(
        "pre-act ResNet-1001",
        1001,
        22.71,
        dataset="CIFAR-100",
        note=T("bottleneck"),
        source=PREACT_PAPER,
    ),
)


# --------------------------------------------------------------------------------------------
# Related architectures and what came after
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Architecture:
    """A related architecture: when and where it appeared, its key idea, its headline result."""

    name: str
    authors: str
    year: int  # year of the peer-reviewed publication
    venue: str
    key_idea: str
    source: str  # key in references.bib
    model_name: str | None = None  # our registry name, to compute parameters and MACs
    depth: int | None = None  # weighted layers, as the paper counts them
    params_m_paper: float | None = None  # parameters in millions, as the paper states
    ilsvrc: str | None = None  # ILSVRC placing, in words
    ilsvrc_year: int | None = None
    ilsvrc_top5_test: float | None = None  # top-5 test error of that ILSVRC entry, %
    results: dict[str, float] = field(default_factory=dict)  # other headline numbers


ARCHITECTURES: tuple[Architecture, ...] = (
    Architecture(
        "AlexNet",
        "Krizhevsky, Sutskever, Hinton",
        2012,
        "NeurIPS 2012",
        "8 learned layers (5 convolutional, 3 fully connected); ReLU, local response "
        "normalisation, overlapping max pooling, dropout in the first two FC layers; "
        "split across two GTX 580 GPUs",
        "krizhevsky2012imagenet",
        model_name="alexnet",
        depth=8,
        params_m_paper=60.0,
        ilsvrc=T("1st in classification"),
        ilsvrc_year=2012,
        ilsvrc_top5_test=15.3,
        results={"runner_up_top5_test": 26.2},
    ),
    Architecture(
        "VGG",
        "Simonyan, Zisserman",
        2015,
        "ICLR 2015 (arXiv 2014)",
        "depth from stacks of 3x3 convolutions (two 3x3 see as far as one 5x5 with fewer "
        "weights); a max pool after each of five blocks; three FC layers; data-parallel on "
        "4 GPUs; LRN found not to help",
        "simonyan2015very",
        model_name="vgg16",
        depth=16,
        params_m_paper=138.0,
        ilsvrc=T("2nd in classification, 1st in localisation"),
        ilsvrc_year=2014,
        ilsvrc_top5_test=7.3,
        results={"post_competition_top5_test": 6.8},
    ),
    Architecture(
        "GoogLeNet (Inception v1)",
        "Szegedy et al.",
        2015,
        "CVPR 2015 (arXiv 2014)",
        "Inception modules: 1x1, 1x1->3x3, 1x1->5x5 and 3x3 max-pool->1x1 branches run in "
        "parallel and are concatenated; 1x1 convolutions reduce channels first; global average "
        "pooling; two auxiliary classifiers during training",
        "szegedy2015going",
        model_name="googlenet",
        depth=22,
        params_m_paper=6.8,
        ilsvrc=T("1st in classification"),
        ilsvrc_year=2014,
        ilsvrc_top5_test=6.67,
    ),
    Architecture(
        "Batch normalisation",
        "Ioffe, Szegedy",
        2015,
        "ICML 2015",
        "normalise each channel with mini-batch statistics, then scale and shift with learned "
        "parameters",
        "ioffe2015batch",
    ),
    Architecture(
        "ResNet",
        "He, Zhang, Ren, Sun",
        2016,
        "CVPR 2016 (arXiv 2015)",
        "residual learning: a block fits F(x) = H(x) - x and an identity shortcut adds x back; "
        "bottleneck blocks (1x1-3x3-1x1) for depth 50+",
        "he2016deep",
        model_name="resnet152",
        depth=152,
        ilsvrc=T(
            "1st in classification, detection and localisation (and 1st in COCO 2015 "
            "detection and segmentation)"
        ),
        ilsvrc_year=2015,
        ilsvrc_top5_test=ILSVRC2015_ENSEMBLE_TOP5_TEST,
    ),
    Architecture(
        "Pre-activation ResNet",
        "He, Zhang, Ren, Sun",
        2016,
        "ECCV 2016",
        "BN and ReLU move before each convolution so the shortcut path stays a pure identity "
        "from block to block",
        "he2016identity",
        depth=1001,
        results={"cifar10_error_resnet1001": 4.62},
    ),
    Architecture(
        "Wide ResNet",
        "Zagoruyko, Komodakis",
        2016,
        "BMVC 2016",
        "fewer but wider residual layers",
        "zagoruyko2016wide",
        depth=28,
        # With dropout; without it 4.00 under the same mean/std preprocessing (the authors'
        # README lists both; the paper's 4.17 for WRN-28-10 used ZCA whitening).
        results={
            "cifar10_error_wrn_28_10": 3.89,
            "cifar10_error_wrn_28_10_no_dropout": 4.00,
        },
    ),
    Architecture(
        "ResNeXt",
        "Xie, Girshick, Dollár, Tu, He",
        2017,
        "CVPR 2017",
        "aggregated residual transformations: many parallel, narrow 1x1-3x3-1x1 branches of "
        "one shape whose outputs are summed (cardinality, e.g. 32x4d); equivalent to a "
        "bottleneck whose 3x3 is a grouped convolution",
        "xie2017aggregated",
    ),
    Architecture(
        "DenseNet",
        "Huang, Liu, van der Maaten, Weinberger",
        2017,
        "CVPR 2017",
        "inside a dense block every layer receives the CONCATENATION of all earlier feature "
        "maps; BN-ReLU-Conv layers with a 1x1 bottleneck and growth rate k; transition layers "
        "(1x1 conv + 2x2 average pool) between blocks",
        "huang2017densely",
        model_name="densenet121",
        depth=121,
        params_m_paper=8.0,
        results={"cifar10_error_densenet_bc_k24_l250": 3.62},
    ),
    Architecture(
        "SE-ResNet",
        "Hu, Shen, Sun",
        2018,
        "CVPR 2018",
        "squeeze-and-excitation: global pool -> FC -> ReLU -> FC -> sigmoid gives one weight per "
        "channel that rescales the residual branch's channels",
        "hu2018squeeze",
        ilsvrc=T("1st in classification"),
        ilsvrc_year=2017,
        ilsvrc_top5_test=2.25,
    ),
)


@dataclass(frozen=True)
class TrainingImprovement:
    """A later result for ResNet-50 on ImageNet (top-1 ACCURACY, %, 224x224 evaluation)."""

    name: str
    model: str
    top1_accuracy: float
    year: int
    venue: str
    note: str
    source: str


LATER_RESNET50: tuple[TrainingImprovement, ...] = (
    TrainingImprovement(
        "Bag of Tricks",
        "ResNet-50-D",
        79.29,  # Table 6, all training refinements (paper-facts rounds it to 79.3)
        2019,
        "CVPR 2019",
        T(
            "ResNet-D stem/downsampling tweaks plus cosine schedule, label smoothing, mixup, "
            "distillation"
        ),
        "he2019bag",
    ),
    TrainingImprovement(
        "ResNet strikes back",
        "ResNet-50",
        80.4,
        2021,
        "NeurIPS 2021 workshop",
        T("the unchanged ResNet-50 architecture with a modern training recipe"),
        "wightman2021resnet",
    ),
)

#: torchvision's IMAGENET1K_V1 checkpoints: top-1 accuracy (%) on the ImageNet validation set,
#: from torchvision's model documentation (not from a paper). resnet50..152 are the "v1.5"
#: variant (stride on the 3x3 convolution).
TORCHVISION_V1_TOP1: dict[str, float] = {
    "resnet18": 69.758,
    "resnet34": 73.314,
    "resnet50": 76.13,
    "resnet101": 77.374,
    "resnet152": 78.312,
}


@dataclass(frozen=True)
class TrainingRun:
    """A published ImageNet training run: what it reached, on what, in how long."""

    who: str
    model: str
    hardware: str
    epochs: int
    hours: float | None  # wall-clock time of the whole run (None: not reported)
    top1_accuracy: float | None  # %, ImageNet validation (None: not quoted here)
    note: str
    source: str  # a references.bib key


#: Anchors for chapter 5's "Training it yourself": all QUOTED. Goyal et al. (2017) give
#: 29 hours for their 8-GPU baseline and 1 hour at batch 8192; FFCV's times and accuracies
#: are the configuration table of github.com/libffcv/ffcv-imagenet (Leclerc et al.).
IMAGENET_TRAINING_RUNS: tuple[TrainingRun, ...] = (
    TrainingRun(
        T("Goyal et al., baseline"),
        "ResNet-50",
        "8 x Tesla P100",
        90,
        29.0,
        None,
        "batch 256 (32 per GPU)",
        "goyal2017accurate",
    ),
    TrainingRun(
        T("Goyal et al., large batch"),
        "ResNet-50",
        "256 x Tesla P100",
        90,
        1.0,
        None,
        "batch 8192, linear scaling rule + 5-epoch warm-up",
        "goyal2017accurate",
    ),
    TrainingRun(
        "FFCV",
        "ResNet-50",
        "8 x A100",
        16,
        14.9 / 60,
        73.8,
        "fast JPEG pipeline, progressive resizing, label smoothing",
        "leclerc2023ffcv",
    ),
    TrainingRun(
        "FFCV",
        "ResNet-50",
        "8 x A100",
        88,
        77.2 / 60,
        78.4,
        "the same recipe, longer",
        "leclerc2023ffcv",
    ),
    TrainingRun(
        "FFCV",
        "ResNet-18",
        "1 x A100",
        16,
        35.0 / 60,
        66.9,
        "one GPU",
        "leclerc2023ffcv",
    ),
)


def architecture(name: str) -> Architecture:
    """Look up an entry of :data:`ARCHITECTURES` by its ``name`` (case-insensitive prefix)."""
    hits = [a for a in ARCHITECTURES if a.name.lower().startswith(name.lower())]
    if len(hits) != 1:
        options = ", ".join(a.name for a in ARCHITECTURES)
        raise ValueError(
            f"unknown or ambiguous architecture {name!r}; choose one of: {options}"
        )
    return hits[0]


def imagenet_results(table: str | None = None) -> list[ImageNetResult]:
    """All ImageNet rows of He et al. (2016), optionally only one table ("Table 2" .. "Table 4")."""
    rows = [*IMAGENET_TABLE2, *IMAGENET_TABLE3, *IMAGENET_TABLE4]
    if table is None:
        return rows
    valid = sorted({r.table for r in rows})
    if table not in valid:
        raise ValueError(f"unknown table {table!r}; choose one of {valid}")
    return [r for r in rows if r.table == table]


def sources() -> set[str]:
    """Every bibliography key this module quotes (the tests check they exist in references.bib)."""
    keys = {r.source for r in imagenet_results()}
    keys |= {r.source for r in (*CIFAR10_TABLE6, *PREACT_RESULTS)}
    keys |= {a.source for a in ARCHITECTURES}
    keys |= {t.source for t in LATER_RESNET50}
    keys |= {t.source for t in IMAGENET_TRAINING_RUNS}
    return keys
