from django.db import migrations

# auth.User's e-mail is not unique; here an address belongs to one account, whatever its case.
# The same statement on SQLite and PostgreSQL; empty addresses (none given) are left out.
CREATE = "CREATE UNIQUE INDEX accounts_user_email_ci ON auth_user (LOWER(email)) WHERE email <> ''"


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(CREATE, reverse_sql="DROP INDEX accounts_user_email_ci"),
    ]
