"""Every grant carries its engagement and completion deadlines: the grants committed before
0003 get them from their call's definition, then the columns become required."""

from zoneinfo import ZoneInfo

from django.db import migrations, models


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from guichet.rules.parameters import parse_call_rules
    from guichet.rules.postaward import completion_deadline

    Grant = apps.get_model("grants", "Grant")
    rules_by_call = {}
    missing = Grant.objects.filter(
        models.Q(engagement_deadline__isnull=True) | models.Q(completion_deadline__isnull=True)
    ).select_related("envelope__call")
    for grant in missing:
        call = grant.envelope.call
        if call.pk not in rules_by_call:
            rules_by_call[call.pk] = parse_call_rules(call.definition)
        rules = rules_by_call[call.pk]
        decided_on = grant.decided_at.astimezone(ZoneInfo(rules.timezone)).date()
        grant.engagement_deadline = grant.engagement_deadline or rules.engagement_deadline
        grant.completion_deadline = grant.completion_deadline or completion_deadline(
            decided_on, rules.post_award.completion_months
        )
        grant.save(update_fields=["engagement_deadline", "completion_deadline"])


class Migration(migrations.Migration):
    dependencies = [("grants", "0003_post_award")]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="grant",
            name="engagement_deadline",
            field=models.DateField(verbose_name="date limite d’engagement"),
        ),
        migrations.AlterField(
            model_name="grant",
            name="completion_deadline",
            field=models.DateField(verbose_name="achèvement au plus tard"),
        ),
    ]
