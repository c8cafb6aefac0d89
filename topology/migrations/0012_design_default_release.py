"""A design-level default FreeBSD release that hosts inherit (and jails from their host) unless they name one.

Existing designs keep rendering exactly what they rendered before: each gets the release most of its hosts
run as its default, and releases equal to the inherited one become blank (inherited).
"""

from collections import Counter

from django.db import migrations, models


def inherit_releases(apps, schema_editor):  # type: ignore[no-untyped-def]
    Design = apps.get_model("topology", "Design")
    Host = apps.get_model("topology", "Host")
    Jail = apps.get_model("topology", "Jail")
    for design in Design.objects.all():
        hosts = list(Host.objects.filter(design=design))
        if not hosts:
            continue
        default = Counter(h.release for h in hosts).most_common(1)[0][0]
        design.default_release = default
        design.save(update_fields=["default_release"])
        for host in hosts:
            Jail.objects.filter(host=host, release=host.release).update(release="")
            if host.release == default:
                Host.objects.filter(pk=host.pk).update(release="")


def spell_out_releases(apps, schema_editor):  # type: ignore[no-untyped-def]
    Host = apps.get_model("topology", "Host")
    Jail = apps.get_model("topology", "Jail")
    for host in Host.objects.select_related("design"):
        release = host.release or host.design.default_release
        Jail.objects.filter(host=host, release="").update(release=release)
        if not host.release:
            Host.objects.filter(pk=host.pk).update(release=release)


class Migration(migrations.Migration):
    dependencies = [
        ("topology", "0011_merge_20261129_1840"),
    ]

    operations = [
        migrations.AddField(
            model_name="design",
            name="default_release",
            field=models.CharField(
                default="15.1-RELEASE",
                help_text="FreeBSD release of the design's hosts and jails unless they name their own",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="host",
            name="release",
            field=models.CharField(
                blank=True, default="", help_text="Blank: the design's default release", max_length=32
            ),
        ),
        migrations.AlterField(
            model_name="jail",
            name="release",
            field=models.CharField(blank=True, default="", help_text="Blank: the host's release", max_length=32),
        ),
        migrations.RunPython(inherit_releases, spell_out_releases),
    ]
