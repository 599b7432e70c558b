"""委託元: the commissioning municipality's read-only view of an organisation's programme.

An organisation (the intermediary running the programme) grants a viewer, another
organisation or one person, the right to see its programme series' figures as aggregates only
(suppression.py). Viewers are never members: every other page of the organisation refuses them.
"""
