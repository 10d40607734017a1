"""The Raporty page: report previews, charts and exports."""
