"""Organisations (主催団体): tenants, their members and roles, invitations."""
