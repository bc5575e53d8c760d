"""The cash at the counter: the drawer (cash in and out, counting a shift closed), registers and shifts, the
branch's day close, and the reports over them (X/Z and day figures, shifts, over/short, cashier performance, cash logs).
"""
