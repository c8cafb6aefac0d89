"""Events of the topology room, as Django signals, for the code that reacts to them.

Senders do not know their listeners: the audit recorder records, and what follows a design's change
(its open change requests going stale) listens here.
"""

from django.dispatch import Signal

design_content_changed = Signal()
"""A design's content changed (anything but the layout of its canvas), inside the transaction of the change.

``sender``: the model whose object changed; ``design_id``: the design. Sent once per recorded change (a bulk
import sends one per model it wrote), never for the deletion of the design itself.
"""
