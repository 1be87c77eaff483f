"""Health of a memory: checks that need git or several layers (vetting for agents), the doctor
and the watcher."""
