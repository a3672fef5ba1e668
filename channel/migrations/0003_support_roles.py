from django.db import migrations


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ("support", "auditor"):
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    """The support and auditor groups; their permissions are kept current by channel.services.roles."""

    dependencies = [("channel", "0002_permissions"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
