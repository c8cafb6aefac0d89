"""The bases of every model endpoint: serializers, filtersets, schema and viewset shared by the apps."""
