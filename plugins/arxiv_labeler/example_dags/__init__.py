"""The project's DAGs, importable from the installed package.

A dags folder needs one file that imports them (``dags/arxiv_labeler_dags.py`` in this
project, the same file a platform team puts in its own dags folder)::

    from arxiv_labeler.example_dags.arxiv_label_summary import dag as arxiv_label_summary
    from arxiv_labeler.example_dags.arxiv_labeling import dag as arxiv_labeling
"""
