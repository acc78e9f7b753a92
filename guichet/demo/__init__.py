"""The demo: dossiers of real Puy-de-Dôme collectivités in every state, built through the services.

Not part of the domain: nothing in ``guichet`` imports it; ``make setup`` runs its command
``create_demo_dossiers``. Its prose is data (``texts.yaml``).
"""
