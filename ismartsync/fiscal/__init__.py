"""FBR's wire: the IMS POS payload, the backends that send it, the circuit that stops trying while FBR fails, the
payment modes. The only place that builds or sends IMS POS requests; it opens no transaction (the steps around a
report are `ismartsync/pipelines/fbr_report.py`)."""
