"""The Przegląd page: KPI tiles, alerts and charts of the whole office."""
