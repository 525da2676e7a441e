"""An Apache Airflow provider for the connector: ``pip install anthropic-connector[airflow]``.

Airflow finds it through the ``apache_airflow_provider`` entry point (provider.py, which
imports no Airflow). The hook holds a ``Connector`` for an Airflow connection (hooks.py); one
operator runs any operation of the manifest (operators.py); a deferrable one submits a Message
Batch and waits on a trigger without holding a worker slot (batch.py, triggers.py).

Nothing in the core package imports this package, so a plain install never loads Airflow.
"""
