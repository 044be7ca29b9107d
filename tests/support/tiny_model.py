"""A tiny random DistilBERT, exported to ONNX and packaged as a Spark NLP zip in a few seconds."""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = [
    "the",
    "of",
    "a",
    "and",
    "in",
    "we",
    "for",
    "on",
    "is",
    "with",
    "learning",
    "deep",
    "network",
    "networks",
    "quantum",
    "graph",
    "model",
    "models",
    "field",
    "theory",
    "stable",
    "e",
    "mail",
    "based",
    "3",
    "14",
    "$",
    "\\",
    "alpha",
    "'",
    "brien",
    "o",
    "-",
    "(",
    ")",
    ".",
    ",",
    "quasi",
    "periodic",
    "cafe",
    "naive",
    "un",
    "##s",
    "##ing",
    "##ed",
    "##able",
    "##ly",
    "##er",
    "stat",
    "##istic",
    "##al",
    "hep",
    "th",
    "data",
    "https",
    ":",
    "/",
    "arxiv",
    "org",
    "abs",
    "x",
    "y",
    "中",
    "文",
    "de",
    "##ep",
    "le",
    "##arn",
    "electron",
    "spin",
    "number",
    "numbers",
    "paper",
    "show",
    "that",
]
LABELS = ["cs", "math", "physics"]


def tiny_config(labels: list[str]) -> object:
    """The tiny DistilBERT's shape: 2 layers, dim 32."""
    from transformers import DistilBertConfig

    return DistilBertConfig(
        vocab_size=len(vocabulary()),
        dim=32,
        n_layers=2,
        n_heads=2,
        hidden_dim=64,
        max_position_embeddings=512,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
    )


def vocabulary(uppercase: bool = False) -> dict[str, int]:
    pieces = list(dict.fromkeys(SPECIALS + WORDS + (["Deep", "Learning", "Quantum"] if uppercase else [])))
    return {piece: index for index, piece in enumerate(pieces)}


def build_tiny_model(directory: Path, seed: int = 0, labels: list[str] | None = None, params: dict | None = None) -> Path:
    """Write tiny.zip (and tiny.onnx, the torch model's state) into ``directory``; returns the zip."""
    import torch
    from arxiv_labeler.model.package import export_onnx, write_model_zip
    from transformers import DistilBertForSequenceClassification

    labels = labels or LABELS
    vocab = vocabulary()
    torch.manual_seed(seed)
    config = tiny_config(labels)
    model = DistilBertForSequenceClassification(config).eval()
    _prototype_head(model, vocab, len(labels))
    directory.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, directory / "tiny.onnx")
    torch.save(model.state_dict(), directory / "tiny.pt")
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    (directory / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    return write_model_zip(directory / "tiny.zip", onnx_path.read_bytes(), vocab, labels, params or {"caseSensitive": False})


PROTOTYPES = ["deep learning network graph", "model theory stable number", "quantum electron spin field"]


def _prototype_head(model: object, vocab: dict[str, int], num_labels: int) -> None:
    """Head rows = centred [CLS] features of one prototype text per label, so labels follow the text."""
    import torch

    texts = (PROTOTYPES * num_labels)[:num_labels]
    with torch.no_grad():
        features = []
        for text in texts:
            ids = torch.tensor([[vocab["[CLS]"], *(vocab[w] for w in text.split()), vocab["[SEP]"]]])
            features.append(model.distilbert(input_ids=ids).last_hidden_state[0, 0])  # type: ignore[attr-defined]
        stacked = torch.relu(torch.stack(features))
        mean = stacked.mean(0)
        weights = (stacked - mean) * 50
        model.pre_classifier.weight.copy_(torch.eye(stacked.shape[1]))  # type: ignore[attr-defined]
        model.pre_classifier.bias.zero_()  # type: ignore[attr-defined]
        model.classifier.weight.copy_(weights)  # type: ignore[attr-defined]
        model.classifier.bias.copy_(-(weights @ mean))  # type: ignore[attr-defined]


def torch_logits(directory: Path, input_ids: list[list[int]], labels: list[str] | None = None) -> list[list[float]]:
    """Reference logits from the PyTorch model the zip was exported from."""
    import torch
    from transformers import DistilBertForSequenceClassification

    labels = labels or LABELS
    config = tiny_config(labels)
    model = DistilBertForSequenceClassification(config)
    model.load_state_dict(torch.load(directory / "tiny.pt"))
    model.eval()
    rows = []
    with torch.no_grad():
        for ids in input_ids:
            rows.append(model(input_ids=torch.tensor([ids])).logits[0].tolist())
    return rows
