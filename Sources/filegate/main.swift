print("filegate")
