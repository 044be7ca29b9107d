"""Classification engines: Spark NLP's pipeline (``sparknlp``) and onnxruntime in Spark (``onnx``)."""
