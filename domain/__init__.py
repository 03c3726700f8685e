"""The language of complaint handling: actions, the Complaint aggregate, the organisation, the rules.

Pure: nothing here reads files, clocks or networks, except through the eventsourcing Application.
"""
