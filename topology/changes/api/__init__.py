"""REST API of change requests, revisions and the audit history: serializers, filtersets, viewsets."""
