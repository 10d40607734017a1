"""Small pieces the pages share: error display, flash messages, job progress, tables."""
