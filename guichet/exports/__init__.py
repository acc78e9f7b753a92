"""Exports of the reviewers' list: CSV, XLSX and ODS files, built in the background when large."""
