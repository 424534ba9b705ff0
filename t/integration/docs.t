#!/bin/sh
echo "1..0 # SKIP docs test not written yet"
