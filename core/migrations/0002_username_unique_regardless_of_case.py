"""User names are unique regardless of case: "Admin" cannot be created beside "admin".

A unique index on LOWER(username) of Django's user table (SQLite and PostgreSQL both index expressions).
Django's user creation form already refuses such a name with a message; the index holds for every other
way in (createsuperuser, scripts, the admin's change form).
"""

from django.db import migrations

INDEX = "jailnet_auth_user_username_lower_uniq"


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (LOWER(username))",
            f"DROP INDEX {INDEX}",
        )
    ]
