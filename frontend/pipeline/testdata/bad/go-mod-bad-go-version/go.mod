module example.com/app

go banana
