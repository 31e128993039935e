print("gatepass")
