"""No two audit events link to the same predecessor (the chain cannot fork), no hash twice.

A migration of its own: on PostgreSQL, constraints after the fill-in's updates in one
transaction would meet its pending trigger events.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_auditevent_hash_chain")]
    operations = [
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("prev_hash", ""), _negated=True), fields=("prev_hash",),
                name="portal_auditevent_prev_hash_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("hash", ""), _negated=True), fields=("hash",),
                name="portal_auditevent_hash_unique",
            ),
        ),
    ]
