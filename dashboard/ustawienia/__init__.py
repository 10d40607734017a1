"""The Ustawienia page: office, package, environments, schedule, notifications, users."""
