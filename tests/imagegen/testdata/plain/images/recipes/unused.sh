#!/bin/sh
# No image includes this file.
