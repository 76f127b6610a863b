"""``atelier deploy`` / ``atelier destroy``: the topology, built on the runtime with boto3."""
