"""What a failed Spark job tells the operator (the texts are Spark's and Py4J's own)."""

from __future__ import annotations

from arxiv_labeler.spark.failures import describe_spark_failure


def test_a_jvm_that_exited_with_spark_s_oom_code_names_driver_memory() -> None:
    message = describe_spark_failure(ConnectionRefusedError(111, "Connection refused"), jvm_exit=52)
    assert message.startswith("the Spark JVM ran out of memory") and "raise driver_memory" in message


def test_a_jvm_killed_otherwise_says_so_with_its_code() -> None:
    assert "exited with code 137" in describe_spark_failure(ConnectionRefusedError(), jvm_exit=137)


def test_java_messages_found_in_the_exception_text() -> None:
    full = RuntimeError("An error occurred while calling o90.parquet.\n: java.io.IOException: No space left on device\n\tat ...")
    assert describe_spark_failure(full).startswith("no space left on device: free space there")
    oom = RuntimeError("An error occurred while calling o7.count.\n: java.lang.OutOfMemoryError: Java heap space")
    assert "raise driver_memory" in describe_spark_failure(oom)


def test_otherwise_the_first_line_that_says_more_than_which_java_call_failed() -> None:
    text = "An error occurred while calling o105.count.\n: org.apache.spark.SparkException: Job 3 cancelled\n\tat x"
    assert describe_spark_failure(RuntimeError(text)) == "org.apache.spark.SparkException: Job 3 cancelled"
    assert describe_spark_failure(ValueError("")) == "ValueError"


def test_a_python_worker_killed_as_it_was_forked_is_named_as_a_dead_worker() -> None:
    text = (
        "An error occurred while calling o90.parquet.\n: org.apache.spark.SparkException: Job aborted due to stage failure: "
        "Task 1 in stage 21.0 failed 1 times, most recent failure: Lost task 1.0 (TID 18): java.io.EOFException\n"
        "\tat java.base/java.io.DataInputStream.readInt(DataInputStream.java:386)\n"
        "\tat org.apache.spark.api.python.PythonWorkerFactory.createWorker$1(PythonWorkerFactory.scala:172)\n"
    )  # Spark 4.1's text when the worker dies before reporting its pid to the daemon
    assert describe_spark_failure(RuntimeError(text)).startswith("a Python worker died")
    parquet_eof = "java.io.EOFException: Reached the end of stream\n\tat org.apache.parquet.hadoop.ParquetFileReader.readFooter"
    assert not describe_spark_failure(RuntimeError(parquet_eof)).startswith("a Python worker died")  # a truncated file is not


def test_a_python_worker_s_exception_is_named_by_its_own_last_line() -> None:
    text = (
        "An error occurred while calling o90.parquet.\n: org.apache.spark.SparkException: Job aborted due to stage failure: "
        "Task 0 in stage 3.0 failed 4 times, most recent failure: Lost task 0.3 (TID 9): "
        "org.apache.spark.api.python.PythonException: Traceback (most recent call last):\n"
        '  File "/x/pyspark/worker.py", line 2001, in main\n    process()\n'
        '  File "/x/arxiv_labeler/engines/onnx_engine.py", line 40, in worker_classifier\n    spec = ModelSpec.load(path)\n'
        "arxiv_labeler.errors.ModelArchiveError: spec.json is not JSON\n\n"
        "\tat org.apache.spark.api.python.BasePythonRunner$ReaderIterator.handlePythonException(PythonRunner.scala:612)\n"
    )
    assert describe_spark_failure(RuntimeError(text)) == "a Python worker raised ModelArchiveError: spec.json is not JSON"
