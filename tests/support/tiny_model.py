"""A tiny random DistilBERT, exported to ONNX and packaged as a Spark NLP zip in a few seconds."""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = [
    "the", "of", "a", "and", "in", "we", "for", "on", "is", "with", "learning", "deep", "network", "networks", "quantum",
    "graph", "model", "models", "field", "theory", "stable", "e", "mail", "based", "3", "14", "$", "\\", "alpha", "'",
    "brien", "o", "-", "(", ")", ".", ",", "quasi", "periodic", "cafe", "naive", "un", "##s", "##ing", "##ed", "##able",
    "##ly", "##er", "stat", "##istic", "##al", "hep", "th", "data", "https", ":", "/", "arxiv", "org", "abs", "x", "y",
    "中", "文", "de", "##ep", "le", "##arn", "electron", "##s", "spin", "number", "numbers", "paper", "show", "that",
]
LABELS = ["cs", "math", "physics"]


def vocabulary(uppercase: bool = False) -> dict[str, int]:
    pieces = list(dict.fromkeys(SPECIALS + WORDS + (["Deep", "Learning", "Quantum"] if uppercase else [])))
    return {piece: index for index, piece in enumerate(pieces)}


def build_tiny_model(directory: Path, seed: int = 0, labels: list[str] | None = None, params: dict | None = None) -> Path:
    """Write tiny.zip (and tiny.onnx, the torch model's state) into ``directory``; returns the zip."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    from arxiv_labeler.model.package import export_onnx, write_model_zip

    labels = labels or LABELS
    vocab = vocabulary()
    torch.manual_seed(seed)
    config = DistilBertConfig(
        vocab_size=len(vocab), dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=512,
        num_labels=len(labels), id2label=dict(enumerate(labels)),
    )
    model = DistilBertForSequenceClassification(config)
    with torch.no_grad():  # larger logits than the default init so labels differ between texts
        model.classifier.weight.mul_(20)
    directory.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, directory / "tiny.onnx")
    torch.save(model.state_dict(), directory / "tiny.pt")
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    (directory / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    return write_model_zip(directory / "tiny.zip", onnx_path.read_bytes(), vocab, labels, params or {"caseSensitive": False})


def torch_logits(directory: Path, input_ids: list[list[int]], labels: list[str] | None = None) -> list[list[float]]:
    """Reference logits from the PyTorch model the zip was exported from."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    labels = labels or LABELS
    config = DistilBertConfig(vocab_size=len(vocabulary()), dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                              max_position_embeddings=512, num_labels=len(labels))
    model = DistilBertForSequenceClassification(config)
    model.load_state_dict(torch.load(directory / "tiny.pt"))
    model.eval()
    rows = []
    with torch.no_grad():
        for ids in input_ids:
            rows.append(model(input_ids=torch.tensor([ids])).logits[0].tolist())
    return rows
