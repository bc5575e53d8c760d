"""Documents: receipts, tax invoices and (later) credit notes and reports, as HTML and as PDFs."""
