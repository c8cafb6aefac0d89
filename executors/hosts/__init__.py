"""Contact with registered hosts: reading and confirming host keys, gathering facts ("Test connection")."""
