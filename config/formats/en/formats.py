"""One time format in admin and templates: UTC, to the second, the zone shown (issue 19).
Django's own `en` formats ("Dec. 2, 2026, 4:26 a.m.") are replaced through FORMAT_MODULE_PATH."""

DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
