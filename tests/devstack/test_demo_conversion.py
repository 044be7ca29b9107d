"""BERT (all-MiniLM-L6-v2) -> DistilBERT is exact: the same hidden states to 1e-4."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.mark.slow
def test_converted_encoder_matches_original() -> None:
    from arxiv_labeler.devstack.demo_model import convert_bert_to_distilbert, minilm_dir

    bert = transformers.BertModel.from_pretrained(str(minilm_dir()), add_pooling_layer=False).eval()
    distil = convert_bert_to_distilbert(bert, 8, [str(i) for i in range(8)]).eval()
    torch.manual_seed(0)
    ids = torch.randint(1000, 30000, (3, 40))
    mask = torch.ones_like(ids)
    mask[1, 25:] = 0
    with torch.no_grad():
        expected = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        actual = distil.distilbert(input_ids=ids, attention_mask=mask).last_hidden_state
    valid = mask.bool()
    assert torch.max(torch.abs(expected[valid] - actual[valid])).item() < 1e-4
