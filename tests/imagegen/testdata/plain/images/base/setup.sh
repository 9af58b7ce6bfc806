#!/bin/sh
echo base > /etc/base
